/**
 * The part of `weixin-js-sdk` the cashier uses (tsconfig `paths` points the package's types here). The package's own
 * typings declare `WeixinJSBridge` and `__wxjs_environment` on every `Window` as `any`, which would quietly undo
 * the optional globals in globals.d.ts.
 */
interface MiniProgramNavigateOptions {
  url: string
  success?: () => void
  fail?: (e: { errMsg?: string }) => void
}

declare const wx: {
  miniProgram: {
    getEnv: (fn: (res: { miniprogram?: boolean }) => void) => void
    navigateTo: (opts: MiniProgramNavigateOptions) => void
  }
}

export default wx
