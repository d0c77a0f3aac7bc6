/**
 * HTML for the console without a template engine: `h` is a tagged template that escapes every interpolated value
 * unless it is already `Html` (made by `h` itself or `raw` on a constant). Arrays are joined, `undefined`, `null`
 * and `false` render nothing. Merchant-provided text (subjects, metadata, reasons, URLs) can only enter as a value.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;', '`': '&#96;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, ch => ESCAPES[ch]!)
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[]

function render(v: HtmlValue): string {
  if (v === undefined || v === null || v === false)
    return ''
  if (v instanceof Html)
    return v.value
  if (Array.isArray(v))
    return v.map(render).join('')
  return escapeHtml(String(v))
}

export function h(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++)
    out += render(values[i]) + strings[i + 1]!
  return new Html(out)
}

/** Marks a constant of this codebase as HTML. Never call it with anything a request or the database supplied. */
export function raw(trusted: string): Html {
  return new Html(trusted)
}
