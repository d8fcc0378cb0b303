/** NATS_URL: one URL or the comma-separated URLs of one cluster. */
export function natsServerList(url: string): string[] {
  const list = url
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (list.length === 0 || list.some((u) => !/^(nats|tls|wss?):\/\/[^\s,]+$/.test(u))) throw new Error('NATS_URL must be one URL or comma-separated URLs of one cluster (nats://host:port,...)');
  return list;
}
