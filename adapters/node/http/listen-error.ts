// Why the Node server could not listen, as one line naming the setting to change; undefined for
// failures that are not about the address (those keep their stack).
export function listenFailure(err: unknown, host: string, port: number): string | undefined {
  const code = err instanceof Error && "code" in err ? err.code : undefined;
  const where = `${host}:${port}`;
  switch (code) {
    case "EADDRINUSE":
      return `edgegate cannot listen on ${where}: another process is using that port. Stop it, or set PORT (and HOST) to listen elsewhere.`;
    case "EACCES":
      return `edgegate cannot listen on ${where}: permission denied (ports below 1024 need privileges). Set PORT to 1024 or above.`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return `edgegate cannot listen on ${where}: HOST is not an address of this machine. Set HOST to one (127.0.0.1, or 0.0.0.0 for every interface).`;
    case "ERR_SOCKET_BAD_PORT":
      return `edgegate cannot listen on ${where}: PORT must be between 0 and 65535.`;
    default:
      return undefined;
  }
}
