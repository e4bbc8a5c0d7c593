// RFC 9470 step-up: a resource that wants a fresher or stronger sign-in
// answers 401 `insufficient_user_authentication` with `max_age` or
// `acr_values`. The client reports it, lets the app sign the user in again
// (`ClientOptions.onStepUp`), and sends the request once more — once, so
// that no loop can form.
import type { Context } from "./context.js";
import type { StepUpChallenge } from "./types.js";

/** The step-up challenge of an answer, or undefined when it is none. */
export function stepUpChallenge(res: Response, url: string): StepUpChallenge | undefined {
  const header = res.headers.get("www-authenticate") ?? "";
  if (res.status !== 401 || !/error="?insufficient_user_authentication/.test(header)) return undefined;
  const param = (name: string) => new RegExp(`(?:^|[\\s,])${name}="?([^",]*)`).exec(header)?.[1];
  const maxAge = param("max_age");
  const acr = param("acr_values");
  const description = param("error_description");
  return { url, ...(maxAge && { maxAge: Number(maxAge) }), ...(acr && { acrValues: acr.split(" ") }), ...(description && { description }) };
}

/** Answers a step-up challenge: reports it, waits for the app's new sign-in, and sends the request once more. */
export async function stepUp({ core, onStepUp }: Context, url: string, res: Response, resend: () => Promise<Response>): Promise<Response> {
  const challenge = stepUpChallenge(res, url);
  if (!challenge) return res;
  const reason = challenge.maxAge !== undefined ? "max_age" : challenge.acrValues ? "acr_values" : "insufficient_user_authentication";
  core.emit({ type: "STEP_UP_REQUIRED", reason, description: challenge.description, challenge });
  if (!onStepUp) return res;
  try {
    await onStepUp(challenge);
  } catch {
    return res; // The app gave up (the user closed the dialog): the caller gets the refusal.
  }
  return resend();
}
