// The catalog: facts about ConnectWise Manage shared by the provider, the sandbox and the
// integrations (module functions, Table Setup entries) and the permission model (levels, their
// comparison, a permissions map's parsing, the Table Setup rule), with the text helpers that
// name them in messages. Data and plain functions only: it imports nothing from the other layers.

export * from "./limits";
export * from "./moduleFunctions";
export * from "./permissions";
export * from "./tableSetup";
export * from "./text";
