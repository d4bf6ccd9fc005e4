// proctor.js: placeholder, replaced by the proctor page module (issue 11).
export {};
