// The security-role modules and functions the project knows.
// Facts written from ../shared/connectwise/module-functions.json (names as the Manage UI shows
// them, which functions have a Customize link and its API identifier); the sources stay there.
// Real moduleIdentifier/moduleFunctionIdentifier strings are not published, so none are kept:
// everything here is keyed by display name, as the API's moduleName/moduleFunctionName are.
// Used by the provider's input checks and by the sandbox, which seeds every new role with one
// setting per function listed here. The levels and their comparison are catalog/permissions.ts.

export interface ModuleFunction {
  module: string;
  function: string;
  /** The MySecurityCustomizeItem.customizeIdentifier of its Customize link, if it has one. */
  customizeIdentifier?: string;
  /** False where the name is inferred from a customize identifier, not seen in the UI. */
  nameConfirmed: boolean;
}

export const MODULE_FUNCTIONS: readonly ModuleFunction[] = [
  { module: "Companies", function: "Company Maintenance", nameConfirmed: true },
  { module: "Companies", function: "Company/Contact Group Maintenance", nameConfirmed: true },
  { module: "Companies", function: "Configuration - Display Passwords", nameConfirmed: true },
  {
    module: "Companies",
    function: "Configurations",
    customizeIdentifier: "CompanyConfigurations",
    nameConfirmed: true,
  },
  { module: "Companies", function: "Contacts", nameConfirmed: true },
  { module: "Companies", function: "CRM/Sales Activities", nameConfirmed: true },
  { module: "Companies", function: "Import Contacts", nameConfirmed: true },
  { module: "Companies", function: "Manage Attachments", nameConfirmed: true },
  { module: "Companies", function: "Management", nameConfirmed: true },
  { module: "Companies", function: "Notes", nameConfirmed: true },
  { module: "Companies", function: "Reports", customizeIdentifier: "CompanyReports", nameConfirmed: true },
  { module: "Companies", function: "Surveys", nameConfirmed: true },
  { module: "Companies", function: "Team Members", nameConfirmed: true },
  { module: "Companies", function: "Tracks", nameConfirmed: true },
  { module: "Companies", function: "UserCentric", nameConfirmed: true },
  { module: "Companies", function: "User Scenarios", nameConfirmed: true },
  { module: "Finance", function: "Accounting Interface", nameConfirmed: true },
  { module: "Finance", function: "Agreement Invoicing", nameConfirmed: true },
  { module: "Finance", function: "Agreement Sales", nameConfirmed: true },
  { module: "Finance", function: "Agreements", customizeIdentifier: "FinanceAgreements", nameConfirmed: true },
  { module: "Finance", function: "Billing Rate Maintenance", nameConfirmed: true },
  { module: "Finance", function: "Billing Reconciliation", nameConfirmed: true },
  { module: "Finance", function: "Billing View Time", nameConfirmed: true },
  { module: "Finance", function: "Company Finance", nameConfirmed: true },
  { module: "Finance", function: "Expense Reimbursements", nameConfirmed: true },
  { module: "Finance", function: "Financial Dashboard", nameConfirmed: true },
  { module: "Finance", function: "Invoice Approval", nameConfirmed: true },
  { module: "Finance", function: "Invoicing", nameConfirmed: true },
  { module: "Finance", function: "Reports", customizeIdentifier: "FinanceReports", nameConfirmed: true },
  { module: "Marketing", function: "ConnectWise Campaign", nameConfirmed: true },
  { module: "Marketing", function: "Marketing Groups", nameConfirmed: true },
  { module: "Marketing", function: "Marketing Management", nameConfirmed: true },
  { module: "Marketing", function: "Marketing Reports", customizeIdentifier: "MarketingReports", nameConfirmed: true },
  { module: "Procurement", function: "Inventory Adjustments", nameConfirmed: true },
  { module: "Procurement", function: "Inventory Transfers", nameConfirmed: true },
  { module: "Procurement", function: "Product Billable Option", nameConfirmed: true },
  { module: "Procurement", function: "Product Catalog", nameConfirmed: true },
  { module: "Procurement", function: "Products", nameConfirmed: true },
  { module: "Procurement", function: "Purchase Orders", nameConfirmed: true },
  { module: "Procurement", function: "Purchasing Demand", nameConfirmed: true },
  { module: "Procurement", function: "Reports", customizeIdentifier: "ProcurementReports", nameConfirmed: true },
  { module: "Project", function: "Close Project Tickets", nameConfirmed: true },
  { module: "Project", function: "Close Projects", nameConfirmed: true },
  { module: "Project", function: "Project Contacts", nameConfirmed: true },
  { module: "Project", function: "Project Finance", nameConfirmed: true },
  { module: "Project", function: "Project Headers", nameConfirmed: true },
  { module: "Project", function: "Project Management", nameConfirmed: true },
  { module: "Project", function: "Project Notes", nameConfirmed: true },
  { module: "Project", function: "Project Phase", nameConfirmed: true },
  { module: "Project", function: "Project Product", nameConfirmed: true },
  { module: "Project", function: "Project Scheduling", customizeIdentifier: "ProjectScheduling", nameConfirmed: true },
  { module: "Project", function: "Project Teams", nameConfirmed: true },
  { module: "Project", function: "Project Templates", nameConfirmed: true },
  { module: "Project", function: "Project Ticket - Dependencies", nameConfirmed: true },
  { module: "Project", function: "Project Ticket Tasks", nameConfirmed: true },
  { module: "Project", function: "Project Tickets", nameConfirmed: true },
  { module: "Project", function: "Reports", customizeIdentifier: "ProjectReports", nameConfirmed: false },
  { module: "Sales", function: "Closed Opportunity", nameConfirmed: true },
  { module: "Sales", function: "Opportunity", nameConfirmed: true },
  { module: "Sales", function: "Opportunity Finance", nameConfirmed: true },
  { module: "Sales", function: "Reports", customizeIdentifier: "SalesReports", nameConfirmed: true },
  { module: "Sales", function: "Sales Dashboard", nameConfirmed: true },
  { module: "Sales", function: "Sales Funnel", nameConfirmed: true },
  { module: "Sales", function: "Sales Orders", nameConfirmed: true },
  { module: "Sales", function: "Sales Orders Finance", nameConfirmed: true },
  { module: "Service Desk", function: "Change Approvals", nameConfirmed: true },
  { module: "Service Desk", function: "Close Service Tickets", nameConfirmed: true },
  { module: "Service Desk", function: "Merge Tickets", nameConfirmed: true },
  { module: "Service Desk", function: "Reports", customizeIdentifier: "ServiceReports", nameConfirmed: true },
  {
    module: "Service Desk",
    function: "Resource Scheduling",
    customizeIdentifier: "ServiceResourceScheduling",
    nameConfirmed: true,
  },
  { module: "Service Desk", function: "Service Ticket - Dependencies", nameConfirmed: true },
  { module: "Service Desk", function: "Service Tickets", nameConfirmed: true },
  { module: "Service Desk", function: "Service Tickets - Finance", nameConfirmed: true },
  { module: "Service Desk", function: "SLA Dashboard", nameConfirmed: true },
  { module: "Service Desk", function: "Ticket Templates", nameConfirmed: true },
  { module: "System", function: "API Reports", nameConfirmed: true },
  {
    module: "System",
    function: "Custom Menu Entry",
    customizeIdentifier: "SystemCustomMenuEntry",
    nameConfirmed: false,
  },
  {
    module: "System",
    function: "Manage Hosted API",
    customizeIdentifier: "SystemManageHostedApi",
    nameConfirmed: false,
  },
  {
    module: "System",
    function: "Mass Maintenance",
    customizeIdentifier: "SystemMassMaintenance",
    nameConfirmed: false,
  },
  { module: "System", function: "Member Maintenance", nameConfirmed: true },
  { module: "System", function: "My Account", customizeIdentifier: "SystemMyAccount", nameConfirmed: true },
  { module: "System", function: "My Company", nameConfirmed: true },
  { module: "System", function: "Report Writer", nameConfirmed: true },
  { module: "System", function: "Security", nameConfirmed: true },
  { module: "System", function: "System Reports", customizeIdentifier: "SystemReports", nameConfirmed: true },
  { module: "System", function: "Table Setup", customizeIdentifier: "SystemTableSetup", nameConfirmed: true },
  { module: "Time & Expense", function: "Expense Report Entry", nameConfirmed: true },
  { module: "Time & Expense", function: "Reports", customizeIdentifier: "TimeAndExpenseReports", nameConfirmed: false },
  { module: "Time & Expense", function: "Time Approval", nameConfirmed: true },
  { module: "Time & Expense", function: "Time Entry", nameConfirmed: true },
  { module: "Time & Expense", function: "Time Entry Billable Option", nameConfirmed: true },
];

/** "Module/Function", the key users write permissions under. */
export function functionKey(module: string, fn: string): string {
  return `${module}/${fn}`;
}

const BY_KEY = new Map(MODULE_FUNCTIONS.map((f) => [functionKey(f.module, f.function).toLowerCase(), f]));

/** The catalog entry for "Module/Function" (case-insensitive), or undefined. */
export function findFunction(key: string): ModuleFunction | undefined {
  return BY_KEY.get(key.trim().toLowerCase());
}

export const MODULE_NAMES: readonly string[] = [...new Set(MODULE_FUNCTIONS.map((f) => f.module))];
