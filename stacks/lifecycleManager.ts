import * as pulumi from "@pulumi/pulumi";
import { Integration, IntegrationArgs, IntegrationDefinition } from "./integration";

/** ScalePad Lifecycle Manager: its API member's role, with a Table Setup allow-list. */
export const lifecycleManager: IntegrationDefinition = {
  id: "lifecycle-manager",
  integration: "Lifecycle Manager",
  roleName: "LifecycleManagerAPI",
  permissions: {
    "Companies/Company Maintenance": { inquire: "All" },
    "Service Desk/Service Tickets": { add: "All", edit: "All", inquire: "All" },
    "System/Table Setup": { inquire: "All" },
  },
  tableSetup: ["Service / Service Board"],
  keyDescription: "Lifecycle Manager",
  sources: [
    "https://help.lifecyclemanager.com/hc/en-us/articles/26152560214555-ConnectWise-Tickets-API-Permission-Requirements",
  ],
};

export class LifecycleManager extends Integration {
  constructor(name: string, args: IntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(lifecycleManager, name, args, opts);
  }
}
