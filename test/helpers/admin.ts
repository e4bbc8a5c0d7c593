/** An admin and a plain user on a test server, signed in with the password grant. */
import type { SignedIn, TestServer } from "./server.js";

let n = 0;

export async function signIn(server: TestServer, username: string, password: string): Promise<SignedIn> {
  const res = await server.request<Omit<SignedIn, "username" | "password" | "userId">>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  const user = await server.tessera.parts.users.find(username);
  return { username, password, userId: user!.id, ...res.body };
}

/** Creates an admin (through the core, as the CLI would) and signs it in. */
export async function signInAdmin(server: TestServer, username = `admin${process.pid}x${++n}`): Promise<SignedIn> {
  const password = "admin pass phrase for tests";
  await server.tessera.parts.admin.users.create({ username, password, roles: ["user", "admin"] }, { id: "test" });
  return signIn(server, username, password);
}
