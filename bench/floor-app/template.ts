/**
 * A bare uni-app H5 app: the cashier's manifest settings (hash router, tree shaking) and nothing else — no Pinia,
 * no i18n, no libraries, one page that says hello. Its weight is what any uni-app H5 page stands on.
 */
export const FLOOR_FILES: Record<string, string> = {
  'pages.json': `${JSON.stringify({
    pages: [{ path: 'pages/index/index', style: { navigationBarTitleText: 'hello' } }],
    globalStyle: { navigationBarTextStyle: 'black', navigationBarTitleText: 'hello', navigationBarBackgroundColor: '#F7F7F7', backgroundColor: '#F7F7F7' },
  }, null, 2)}\n`,
  'manifest.json': `${JSON.stringify({
    name: 'uni-floor',
    appid: '',
    description: 'bare uni-app H5 hello page (benchmark floor)',
    versionName: '0.0.0',
    versionCode: '100',
    transformPx: false,
    h5: { title: 'hello', router: { mode: 'hash', base: './' }, sdkConfigs: {}, optimization: { treeShaking: { enable: true } } },
    uniStatistics: { enable: false },
    vueVersion: '3',
  }, null, 2)}\n`,
  'App.vue': `<script setup lang="ts">
import { onLaunch } from '@dcloudio/uni-app'

onLaunch(() => {})
</script>
`,
  'main.ts': `import { createSSRApp } from 'vue'
import App from './App.vue'

export function createApp() {
  const app = createSSRApp(App)
  return { app }
}
`,
  'index.html': `<!DOCTYPE html>
<html lang="zh-CN">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0, viewport-fit=cover" />
    <title>hello</title>
  </head>
  <body>
    <div id="app"><!--app-html--></div>
    <script type="module" src="/main.ts"></script>
  </body>
</html>
`,
  'pages/index/index.vue': `<template>
  <view class="hello" data-testid="hello">
    hello
  </view>
</template>
`,
  'vite.config.ts': `import uniPlugin from '@dcloudio/vite-plugin-uni'
import { defineConfig } from 'vite'

const uni = (uniPlugin as unknown as { default?: typeof uniPlugin }).default ?? uniPlugin

export default defineConfig({ plugins: [uni()] })
`,
}
