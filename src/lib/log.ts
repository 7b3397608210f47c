// Structured log lines, one JSON object per line, each carrying the id of the request it belongs to
// (the X-Request-Id the response carries too), so a line can be matched with the answer a caller saw.
// Never log secrets, request bodies or query values: ids, names and messages only.

export interface Log {
  readonly requestId: string
  /** Audit events (tokens issued, refused, revoked): what happened, to whom, never credentials. */
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

export function requestLog(requestId: string): Log {
  const line = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
    JSON.stringify({ level, msg, request_id: requestId, ...fields })
  return {
    requestId,
    info: (msg, fields) => console.log(line('info', msg, fields)),
    warn: (msg, fields) => console.warn(line('warn', msg, fields)),
    error: (msg, fields) => console.error(line('error', msg, fields)),
  }
}
