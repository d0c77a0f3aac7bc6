/**
 * A JSON request body must be text the server can store as it was sent: valid UTF-8, and no string with an unpaired
 * surrogate (`"\uDC00"` parses, but is no character). Either would otherwise be replaced by U+FFFD on the way into
 * the database, so an order would silently carry another subject than the one sent.
 */
import type { Context } from 'hono'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (String#isWellFormed, ES2024). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const isWellFormed = (s: string) => !LONE_SURROGATE.test(s)

/** Every string and key in `value` is well-formed UTF-16 (iterative: a body may nest thousands of levels deep). */
function wellFormed(value: unknown): boolean {
  const stack = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') {
      if (!isWellFormed(v))
        return false
    }
    else if (Array.isArray(v)) {
      for (const item of v)
        stack.push(item)
    }
    else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (!isWellFormed(k))
          return false
        stack.push(item)
      }
    }
  }
  return true
}

/** Why the JSON body of `c` cannot be taken as sent, or undefined when it can (or is not JSON at all: the validators say so). */
export async function malformedJsonText(c: Context): Promise<string | undefined> {
  let text: string
  try {
    text = strictUtf8.decode(await c.req.arrayBuffer())
  }
  catch (e) {
    if (e instanceof TypeError)
      return 'the request body is not valid UTF-8'
    throw e
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  }
  catch {
    return undefined
  }
  return wellFormed(parsed) ? undefined : 'a string in the request body holds an unpaired surrogate (\\uD800–\\uDFFF)'
}
