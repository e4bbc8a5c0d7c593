// Shared fixture for the SDK's Node tests: a client wired to the fake server,
// a fake clock for `Date` (timers stay real, so awaits still resolve), and the
// events the client reported.
import type { TestContext } from "node:test";
import { createClient, type AuthChangeEvent, type ClientOptions } from "../../src/client/index.js";
import { fakeTessera, type FakeOptions } from "./fake-tessera.js";

export const T0 = Date.UTC(2025, 0, 1);

export function setup(t: TestContext, fakeOptions: FakeOptions = {}, clientOptions: Partial<ClientOptions> = {}) {
  t.mock.timers.enable({ apis: ["Date"], now: T0 });
  const fake = fakeTessera(fakeOptions);
  const events: AuthChangeEvent[] = [];
  const make = (options: Partial<ClientOptions> = {}) => {
    const client = createClient({
      baseUrl: "http://fake/base/",
      fetch: fake.fetch,
      // A key per test keeps clients of different tests off each other's channel.
      storageKey: `test:${t.name}`,
      ...clientOptions,
      ...options,
    });
    t.after(() => client.close());
    return client;
  };
  const client = make();
  client.onAuthChange((event) => events.push(event));
  return {
    fake,
    client,
    make,
    events,
    types: () => events.map((e) => `${e.type}:${e.reason}`),
    advance: (seconds: number) => t.mock.timers.tick(seconds * 1000),
  };
}
