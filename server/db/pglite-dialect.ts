import type { messages, PGlite, protocol } from '@electric-sql/pglite'
import type { CompiledQuery, DatabaseConnection, DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler, QueryResult, TransactionSettings } from 'kysely'
import { CompiledQuery as Compiled, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely'

/**
 * Kysely on PGlite with every statement prepared once and run from then on by name: PostgreSQL parses and plans it
 * once, and each run is one call into PGlite (bind, execute, sync) where `PGlite.query` makes six and parses and plans
 * the text every time. The same `PGlite` parsers and serializers convert values, so rows and parameters are the same as
 * `PGlite.query` gives and takes.
 *
 * One difference with a statement parsed anew each time: PostgreSQL proves a partial index's predicate from literals
 * only, so an `ON CONFLICT … WHERE` naming a partial unique index must write its predicate as a literal (`sql.lit`).
 */

/** Prepared statements kept by name at most; the least recently used is closed beyond this. */
const MAX_PREPARED = 256

/** Statements worth preparing: those that read or write rows (DDL and transaction control run as plain text). */
const PREPARABLE = /^\s*(?:select|insert|update|delete|with)\b/i
/** Statements that leave the schema as it is; anything else may change what a prepared statement returns. */
const TRANSACTION_CONTROL = /^\s*(?:begin|start|commit|end|rollback|savepoint|release|set|show|listen|unlisten|notify)\b/i

interface Prepared {
  name: string
  paramTypes: number[]
  /** The result's columns, or none for a statement without rows (an INSERT without RETURNING). */
  fields: { name: string, parse: ((value: string, typeId: number) => unknown) | undefined, typeId: number }[]
}

type Message = messages.BackendMessage
/** PGlite's protocol message writers (`protocol.serialize`), handed in so that this module loads PGlite only with it. */
export type Serialize = typeof protocol.serialize

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Rows affected, from a CommandComplete tag ("INSERT 0 3", "UPDATE 2"), as PGlite.query counts them. */
function affectedRows(tag: string): number {
  const [command, a, b] = tag.split(' ')
  switch (command) {
    case 'INSERT':
      return Number.parseInt(b ?? '0', 10)
    case 'UPDATE':
    case 'DELETE':
    case 'MERGE':
    case 'COPY':
      return Number.parseInt(a ?? '0', 10)
    default:
      return 0
  }
}

class PreparedConnection implements DatabaseConnection {
  readonly #pg: PGlite
  readonly #serialize: Serialize
  /** By SQL text, least recently used first. */
  readonly #prepared = new Map<string, Prepared>()
  /** Names of evicted statements, closed with the next run. */
  #toClose: string[] = []
  #next = 0

  constructor(pg: PGlite, serialize: Serialize) {
    this.#pg = pg
    this.#serialize = serialize
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!PREPARABLE.test(query.sql))
      return this.#plain<R>(query)
    return this.#pg.runExclusive(async () => {
      const prepared = await this.#prepare(query.sql)
      const values = query.parameters.map((v, i) => {
        if (v === null || v === undefined)
          return null
        const toText = this.#pg.serializers[prepared.paramTypes[i]!]
        return toText ? toText(v) as string : String(v)
      })
      const closes = this.#toClose.map(name => this.#serialize.close({ type: 'S', name }))
      this.#toClose = []
      const replies = await this.#pg.execProtocolStream(concat([
        ...closes,
        this.#serialize.bind({ statement: prepared.name, values }),
        this.#serialize.execute({}),
        this.#serialize.sync(),
      ]), {})
      return this.#result<R>(prepared, replies)
    })
  }

  async* streamQuery<R>(query: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(query)
    for (let i = 0; i < rows.length; i += chunkSize)
      yield { rows: rows.slice(i, i + chunkSize) }
  }

  /** DDL and transaction control, as PGlite.query runs them; DDL forgets every prepared statement. */
  async #plain<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!TRANSACTION_CONTROL.test(query.sql) && (this.#prepared.size || this.#toClose.length)) {
      this.#prepared.clear()
      this.#toClose = []
      await this.#pg.exec('DEALLOCATE ALL')
    }
    const result = await this.#pg.query<R>(query.sql, [...query.parameters])
    return { rows: result.rows, numAffectedRows: result.affectedRows === undefined ? undefined : BigInt(result.affectedRows) }
  }

  /** The statement for `sql`, prepared (parse and describe in one call) if it is not yet. Runs inside runExclusive. */
  async #prepare(sql: string): Promise<Prepared> {
    const known = this.#prepared.get(sql)
    if (known) {
      this.#prepared.delete(sql)
      this.#prepared.set(sql, known)
      return known
    }
    const name = `uc_${++this.#next}`
    const replies = await this.#pg.execProtocolStream(concat([
      this.#serialize.parse({ name, text: sql }),
      this.#serialize.describe({ type: 'S', name }),
      this.#serialize.sync(),
    ]), {})
    const params = replies.find(m => m.name === 'parameterDescription') as messages.ParameterDescriptionMessage | undefined
    const rows = replies.find(m => m.name === 'rowDescription') as messages.RowDescriptionMessage | undefined
    const prepared: Prepared = {
      name,
      paramTypes: params?.dataTypeIDs ?? [],
      fields: (rows?.fields ?? []).map(f => ({ name: f.name, typeId: f.dataTypeID, parse: this.#pg.parsers[f.dataTypeID] })),
    }
    this.#prepared.set(sql, prepared)
    if (this.#prepared.size > MAX_PREPARED) {
      const [oldest, evicted] = this.#prepared.entries().next().value as [string, Prepared]
      this.#prepared.delete(oldest)
      this.#toClose.push(evicted.name)
    }
    return prepared
  }

  #result<R>(prepared: Prepared, replies: Message[]): QueryResult<R> {
    const rows: R[] = []
    let affected: number | undefined
    for (const m of replies) {
      if (m.name === 'dataRow') {
        const row: Record<string, unknown> = {}
        const values = (m as messages.DataRowMessage).fields
        for (let i = 0; i < values.length; i++) {
          const f = prepared.fields[i]!
          const v = values[i]!
          row[f.name] = v === null ? null : f.parse ? f.parse(v, f.typeId) : v
        }
        rows.push(row as R)
      }
      else if (m.name === 'commandComplete') {
        affected = affectedRows((m as messages.CommandCompleteMessage).text)
      }
    }
    return { rows, numAffectedRows: affected === undefined ? undefined : BigInt(affected) }
  }
}

class PreparedDriver implements Driver {
  readonly #pg: PGlite
  readonly #connection: PreparedConnection
  /** The one connection is handed out to one caller at a time (a transaction keeps it); the others wait here. */
  #busy = false
  readonly #waiting: (() => void)[] = []

  constructor(pg: PGlite, serialize: Serialize) {
    this.#pg = pg
    this.#connection = new PreparedConnection(pg, serialize)
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#busy)
      await new Promise<void>(resolve => this.#waiting.push(resolve))
    this.#busy = true
    return this.#connection
  }

  async releaseConnection(): Promise<void> {
    const next = this.#waiting.shift()
    if (next)
      next()
    else
      this.#busy = false
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await conn.executeQuery(Compiled.raw(settings.isolationLevel ? `start transaction isolation level ${settings.isolationLevel}` : 'begin'))
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(Compiled.raw('commit'))
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(Compiled.raw('rollback'))
  }

  async destroy(): Promise<void> {
    await this.#pg.close()
  }
}

export class PGlitePreparedDialect implements Dialect {
  readonly #pg: PGlite
  readonly #serialize: Serialize
  constructor(pg: PGlite, serialize: Serialize) {
    this.#pg = pg
    this.#serialize = serialize
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter()
  }

  createDriver(): Driver {
    return new PreparedDriver(this.#pg, this.#serialize)
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler()
  }

  // Kysely's own signature takes any database.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db)
  }
}
