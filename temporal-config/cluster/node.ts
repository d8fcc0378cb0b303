/** A server process of the cluster stack that can be killed and started again as the same node. */
export interface ClusterNode {
  name: string;
  /** host:port for Temporal, nats://host:port for NATS. */
  address: string;
  pid(): number | undefined;
  start(): Promise<void>;
  /** SIGKILL, for fault tests. */
  kill(): void;
  stop(): Promise<void>;
}
