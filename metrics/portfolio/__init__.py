"""The portfolio report and its exports, the weekly digest, PM excellence: pages and API."""
