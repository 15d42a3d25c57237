/** The exit-code table, shown in every --help and in the README. */
export const EXIT_CODES_HELP = `Exit codes:
  0    success (etcd status: Healthy)
  1    error (API, network, S3, this machine, or internal failure)
  2    usage error (bad flags, arguments, input files or paths, kubeconfig or context)
  3    precondition not met (cluster not found, lock held, wrong state)
  4    etcd unhealthy (Degraded, QuorumLost or Inconsistent)
  5    needs resume: the cluster was changed and a rollback failed, or a move or restore stopped after
       its point of no return (source frozen for good); the hint is the "hcp-dr resume" that continues
  6    some clusters of a fleet run failed (backup --all); the others succeeded
  7    the newest backup is older than --max-backup-age, or missing (etcd status; exit 4 wins)
  130  interrupted (SIGINT/SIGTERM); changes were rolled back`;
