// The lengths ConnectWise allows (the published spec's "Max length"), written once for the
// provider's checks and the integration definitions.

/** A security role's name (SecurityRole.name). */
export const ROLE_NAME_MAX = 30;
/** A member's identifier, full or API (Member.identifier, ApiMember.identifier). */
export const MEMBER_IDENTIFIER_MAX = 15;
/** A member's name (ApiMember.name). */
export const MEMBER_NAME_MAX = 30;
