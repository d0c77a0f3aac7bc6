/** The providers this server is configured for, looked up by name, by pay method or by notification path. */
import type { PayMethod } from '../../contract/api'
import type { ServerConfig } from '../config'
import type { AlipayAdapter } from './alipay/adapter'
import type { ProviderAdapter, ProviderName } from './types'
import type { WechatAdapter } from './wechat/adapter'
import { createAlipayAdapter } from './alipay/adapter'
import { createWechatAdapter } from './wechat/adapter'

export interface Providers {
  readonly all: readonly ProviderAdapter[]
  /** Provider-specific extras (the mini program login) for the few places that need them. */
  readonly wechat?: WechatAdapter
  readonly alipay?: AlipayAdapter
  byName: (name: string) => ProviderAdapter | undefined
  forMethod: (method: PayMethod) => ProviderAdapter | undefined
  /** Every pay method some configured provider serves. */
  methods: () => PayMethod[]
}

export function createProviders(config: Pick<ServerConfig, 'wechat' | 'alipay' | 'bases' | 'providerTimeoutMs'>): Providers {
  const wechat = config.wechat ? createWechatAdapter(config.wechat, config.bases, config.providerTimeoutMs) : undefined
  const alipay = config.alipay ? createAlipayAdapter(config.alipay, config.bases, config.providerTimeoutMs) : undefined
  const all: ProviderAdapter[] = [wechat, alipay].filter((a): a is WechatAdapter | AlipayAdapter => a !== undefined)
  return {
    all,
    wechat,
    alipay,
    byName: name => all.find(a => a.name === (name as ProviderName)),
    forMethod: method => all.find(a => a.methods.includes(method)),
    methods: () => all.flatMap(a => [...a.methods]),
  }
}
