// pair.js: placeholder, replaced by the pair page module (issue 11).
export {};
