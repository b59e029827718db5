import * as pulumi from "@pulumi/pulumi";
import { Integration, IntegrationArgs, IntegrationDefinition } from "./integration";

/** Elements: the role, API member and key its ConnectWise setup page asks for. */
export const elements: IntegrationDefinition = {
  id: "elements",
  integration: "Elements",
  roleName: "ElementsAPI",
  permissions: {
    "Companies/Company Maintenance": { inquire: "All" },
    "Companies/Contacts": { inquire: "All" },
    "Finance/Agreements": { add: "All", edit: "All", inquire: "All" },
    "Finance/Invoicing": { inquire: "All" },
    "Procurement/Products": { inquire: "All" },
    "Procurement/Product Catalog": { inquire: "All" },
    "Service Desk/Close Service Tickets": { add: "All", edit: "All", inquire: "All" },
    "Service Desk/Service Tickets": { add: "All", edit: "All", inquire: "All" },
  },
  tableSetup: [],
  keyDescription: "Elements",
  sources: ["Elements: ConnectWise Manage integration setup (security role ElementsAPI, API member APIMember)"],
};

export class Elements extends Integration {
  constructor(name: string, args: IntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(elements, name, args, opts);
  }
}
