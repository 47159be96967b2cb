"""Once per period: the record of which period each periodic job with an external effect ran for."""
