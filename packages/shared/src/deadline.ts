/**
 * Waits for `work` until `deadlineMs` (epoch ms) at the latest; true if it settled by then. For
 * shutdown steps that may never settle (a NATS flush with the server gone, a gRPC server's
 * graceful shutdown with calls still open): a process asked to stop must stop within its grace.
 */
export async function settledBy(work: Promise<unknown> | undefined, deadlineMs: number): Promise<boolean> {
  if (!work) return true;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadlineMs - Date.now()))));
  try {
    return await Promise.race([work.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
