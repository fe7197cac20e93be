// The built-in scenarios, bundled into the lab by scripts/build.mjs from scenarios/library/*.yaml.
declare module 'lab:scenarios' {
  const scenarios: readonly { name: string; text: string }[];
  export default scenarios;
}
