/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  testTimeout: 60000,
  transform: {
    "^.+\\.ts$": [
      "ts-jest",
      {
        tsconfig: {
          types: ["node", "jest"],
          esModuleInterop: true,
          strict: true,
          target: "ES2022",
          module: "commonjs",
          resolveJsonModule: true,
          skipLibCheck: true,
        },
      },
    ],
  },
};
