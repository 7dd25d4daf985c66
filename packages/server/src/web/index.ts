// The demo web app (packages/server/web, built into dist/web) served at `/`; see docs/demo.md.

export { type InstallWebAppOptions, installWebApp } from './install-web-app.js';
export { findWebDir, loadWebAssets, MAX_WEB_APP_BYTES, type WebAsset } from './web-assets.js';
export { type WebRoute, webRoutes } from './web-routes.js';
