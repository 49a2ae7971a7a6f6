/**
 * The module order, checked in `npm test` (dependency-cruiser). Imports point one way:
 *   control-plane → agent → autoinfra, ml, network, metrics → engine
 * Two programs sit on top: the control plane, and the node agent (its CLI starts the agent; the agent never
 * imports the control plane). The four middle modules do not import each other, no import cycle exists
 * anywhere, and a module is entered only through its folder's index.ts. See ARCHITECTURE.md.
 */
const MODULES = '(engine|ml|autoinfra|network|metrics|agent|control-plane)';
module.exports = {
  forbidden: [
    {
      name: 'engine-is-the-bottom',
      comment: 'engine knows nothing of the modules above it; they register with it.',
      severity: 'error',
      from: { path: '^engine/' },
      to: { path: '^(ml|autoinfra|network|metrics|agent|control-plane)/' },
    },
    {
      name: 'middle-modules-are-peers',
      comment:
        'autoinfra, ml, network and metrics depend on engine only; the two programs (control-plane, agent) wire them together.',
      severity: 'error',
      from: { path: '^(ml|autoinfra|network|metrics)/' },
      to: { path: '^(ml|autoinfra|network|metrics|agent|control-plane)/', pathNot: '^$1/' },
    },
    {
      name: 'agent-is-its-own-program',
      comment:
        'The node agent runs beside the control plane, not inside it: the control plane starts it (`infrabase agent`) ' +
        'and speaks to it over HTTP, so the agent imports the modules below and never control-plane.',
      severity: 'error',
      from: { path: '^agent/' },
      to: { path: '^control-plane/' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'enter-modules-by-index',
      comment: 'Another module is imported through its index.ts, its public surface.',
      severity: 'error',
      from: { path: `^${MODULES}/` },
      to: {
        path: `^${MODULES}/`,
        // Cloud providers are separate entries, loaded lazily so their SDKs load only when enabled.
        pathNot: ['^$1/', `^${MODULES}/index\\.ts$`, '^autoinfra/providers/[a-z]+/index\\.ts$'],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|test)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
