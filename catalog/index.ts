// The catalog: facts about ConnectWise Manage shared by the provider, the sandbox and the
// integrations (module functions, permission levels, Table Setup entries), with the text
// helpers that name them in messages. Data only: it imports nothing from the other layers.

export * from "./limits";
export * from "./moduleFunctions";
export * from "./tableSetup";
export * from "./text";
