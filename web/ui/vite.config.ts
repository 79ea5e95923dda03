import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The built files go to dist/, which the server embeds (web/server/src/routes/ui.rs).
// preset-vite aliases react to preact/compat, which @tanstack/react-virtual needs.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev` against a running plinth: PLINTH_URL=http://127.0.0.1:PORT
    proxy: process.env.PLINTH_URL
      ? { "/api": { target: process.env.PLINTH_URL, ws: true, changeOrigin: true } }
      : undefined,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
    setupFiles: ["src/test-setup.ts"],
  },
});
