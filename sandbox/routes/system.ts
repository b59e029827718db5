// GET /system/info: the server's version and settings; any authenticated member may call it.

import { Route } from "../routing";

export const API_VERSION = "2025.8";

export const systemRoutes: Route[] = [
  {
    pattern: "/system/info",
    operations: {
      GET: {
        handler: () => ({
          status: 200,
          body: {
            version: "v2025.8.0.12345",
            isCloud: false,
            serverTimeZone: "Eastern Standard Time",
            licenseBits: [],
            cloudRegion: "",
            maxWorkFlowRecordsAllowed: 1000,
          },
        }),
      },
    },
  },
];
