import type { FlagStorage } from '../../src/env/debug-flag'
import { describe, expect, it } from 'vitest'
import { debugPanelWanted } from '../../src/env/debug-flag'

function memory(): FlagStorage & { items: Map<string, string> } {
  const items = new Map<string, string>()
  return {
    items,
    getItem: k => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: k => void items.delete(k),
  }
}

describe('the debug panel flag', () => {
  it('debug=1 turns it on and keeps it for the tab: the page back from OAuth, without the flag, still shows it', () => {
    const tab = memory()
    expect(debugPanelWanted({ orderNo: 'O1', debug: '1' }, tab)).toBe(true)
    expect(debugPanelWanted({ orderNo: 'O1', code: 'CODE', state: 'S' }, tab)).toBe(true)
  })

  it('debug=0 turns it off again; without either it is off', () => {
    const tab = memory()
    expect(debugPanelWanted({ orderNo: 'O1' }, tab)).toBe(false)
    debugPanelWanted({ debug: '1' }, tab)
    expect(debugPanelWanted({ debug: '0' }, tab)).toBe(false)
    expect(debugPanelWanted({ orderNo: 'O1' }, tab)).toBe(false)
    expect(tab.items.size).toBe(0)
  })

  it('only "1" turns it on', () => {
    const tab = memory()
    for (const debug of ['true', 'yes', '', ['1']])
      expect(debugPanelWanted({ debug }, tab)).toBe(false)
  })

  it('without storage, or with storage that refuses, the flag lasts one page and nothing throws', () => {
    expect(debugPanelWanted({ debug: '1' })).toBe(true)
    expect(debugPanelWanted({})).toBe(false)
    const refusing: FlagStorage = {
      getItem: () => { throw new Error('SecurityError') },
      setItem: () => { throw new Error('QuotaExceededError') },
      removeItem: () => { throw new Error('SecurityError') },
    }
    expect(debugPanelWanted({ debug: '1' }, refusing)).toBe(true)
    expect(debugPanelWanted({}, refusing)).toBe(false)
  })
})
