//! CMDB export readers (placeholder).
