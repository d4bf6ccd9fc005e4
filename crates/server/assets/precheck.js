// precheck.js: placeholder, replaced by the precheck page module (issue 11).
export {};
