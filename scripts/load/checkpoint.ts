// Resume state for the loader: per input file (identified by path, size and mtime), the line number
// through which every line is done. Chunks finish out of order, so the mark advances only over chunks
// whose predecessors are all finished; anything after it is sent again on resume (PUT by id is
// idempotent, so that costs time, never correctness).

import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'

interface FileMark {
  size: number
  mtimeMs: number
  doneThrough: number
}

interface Ticket {
  file: string
  lastLine: number
  done: boolean
}

export class Checkpoint {
  private readonly path: string
  private readonly target: string
  private marks: Record<string, FileMark>
  private queues = new Map<string, Ticket[]>()

  constructor(path: string, target: string) {
    this.path = path
    this.target = target
    const saved = existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as {
          target?: string
          files?: Record<string, FileMark>
        })
      : {}
    this.marks = saved.target === target ? (saved.files ?? {}) : {}
  }

  /** Lines of `file` already loaded (0 when the file changed since the checkpoint was written). */
  doneThrough(file: string): number {
    const mark = this.marks[file]
    const stat = statSync(file)
    if (!mark || mark.size !== stat.size || mark.mtimeMs !== stat.mtimeMs) {
      this.marks[file] = { size: stat.size, mtimeMs: stat.mtimeMs, doneThrough: 0 }
      return 0
    }
    return mark.doneThrough
  }

  /** Registers a chunk of `file` ending at `lastLine`, in reading order. */
  begin(file: string, lastLine: number): Ticket {
    const ticket = { file, lastLine, done: false }
    const queue = this.queues.get(file) ?? []
    queue.push(ticket)
    this.queues.set(file, queue)
    return ticket
  }

  /** Marks a chunk finished (loaded, or its bad lines reported) and saves the advanced mark. */
  complete(ticket: Ticket): void {
    ticket.done = true
    const queue = this.queues.get(ticket.file)!
    while (queue.length && queue[0]!.done)
      this.marks[ticket.file]!.doneThrough = queue.shift()!.lastLine
    this.save()
  }

  private save(): void {
    const tmp = `${this.path}.tmp`
    writeFileSync(tmp, JSON.stringify({ target: this.target, files: this.marks }, null, 1))
    renameSync(tmp, this.path)
  }
}
