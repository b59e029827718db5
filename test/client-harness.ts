// Shared by the client suites: the typed rejection of a client call.
import { ConnectWiseError } from "../connectwise/errors";

/** The ConnectWiseError a client call rejects with (fails the test when it resolves or throws another error). */
export async function clientRejection(promise: Promise<unknown>): Promise<ConnectWiseError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectWiseError);
    return err as ConnectWiseError;
  }
  throw new Error("expected the call to fail");
}
