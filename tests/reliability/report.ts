import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export interface ReliabilityRow {
  scenario: string
  tried: number
  passed: number
  /** Orders that should have ended paid but did not. */
  lost: number
  /** Orders whose fulfilment ran more than once. */
  appliedTwice: number
}

/** Prints the scenario table and keeps a JSON copy under tests/artifacts/ (for docs/reliability.md). */
export function printTable(title: string, rows: ReliabilityRow[]): void {
  const header = ['scenario', 'tried', 'passed', 'lost', 'applied twice']
  const lines = rows.map(r => [r.scenario, String(r.tried), String(r.passed), String(r.lost), String(r.appliedTwice)])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map(l => l[i]!.length)))
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join(' | ')} |`
  console.log(`\n${title}\n${fmt(header)}\n|${widths.map(w => '-'.repeat(w + 2)).join('|')}|\n${lines.map(fmt).join('\n')}\n`)
  const dir = path.resolve('tests/artifacts')
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, `reliability-${title.toLowerCase().replace(/\W+/g, '-')}.json`), `${JSON.stringify(rows, null, 2)}\n`)
}

export { mapLimit as pool } from '../helpers/pool'

/** The size of the load scenarios: modest in `npm test`, RELIABILITY_N=1000 for the full run. */
export const N = Number(process.env.RELIABILITY_N ?? 200)
