// exam.js: placeholder, replaced by the exam page module (issue 11).
export {};
