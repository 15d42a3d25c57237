/** Text for the shell scripts hcp-dr runs in etcd's pods and helper pods (through exec). */

/** Single quotes for sh. */
export const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
