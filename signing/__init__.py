"""Electronic seals (电子印章) and PAdES-signed approvals (批复文件)."""
