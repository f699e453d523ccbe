/**
 * The exclusive right, among the replicas of a role, to run one singleton worker: the projector
 * (read models, mail requests, rate feed) must have exactly one active instance, and the others
 * wait as standbys. A holder that can no longer prove it holds the lease (renewal refused, or not
 * confirmed within the TTL) is told before a peer can take it over, and must stop at once.
 */
export interface Lease {
  /** Resolves once this process holds the lease (waiting while a peer does); then keeps it renewed. */
  acquire(): Promise<void>;
  /** Whether this process holds the lease now. */
  held(): boolean;
  /** Called once if a held lease is lost; the worker it guards must stop. */
  onLost(listener: (reason: string) => void): void;
  /** Stops waiting or renewing and hands the lease back, so a standby takes over without waiting the TTL. */
  release(): Promise<void>;
}
