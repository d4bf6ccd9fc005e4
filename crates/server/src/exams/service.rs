//! Exam services (filled by the exams helper).
