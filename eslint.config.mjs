// @ts-check
import antfu from '@antfu/eslint-config'

export default antfu({
  vue: true,
  typescript: true,
  ignores: ['dist/**', 'data/**', '.data/**', 'test-results/**', 'playwright-report/**', 'tests/artifacts/**', 'tests/fixtures/**', 'bench/results.json', '**/*.md'],
}, {
  rules: {
    'vue/block-order': ['error', { order: ['script', 'template', 'style'] }],
    'node/prefer-global/process': 'off',
    'no-console': 'off',
    // V8 caches the compiled pattern of a regex literal; hoisting every one hurts readability for nothing.
    'e18e/prefer-static-regex': 'off',
    // Imports inside `// #ifdef PLATFORM` … `// #endif` blocks must stay inside them: sort within each block only.
    'perfectionist/sort-imports': ['error', {
      groups: ['type-import', ['type-parent', 'type-sibling', 'type-index', 'type-internal'], 'value-builtin', 'value-external', 'value-internal', ['value-parent', 'value-sibling', 'value-index'], 'side-effect', 'ts-equals-import', 'unknown'],
      newlinesBetween: 'ignore',
      newlinesInside: 'ignore',
      order: 'asc',
      type: 'natural',
      partitionByComment: true,
    }],
  },
})
