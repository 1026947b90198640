# British English as the pages have always shown it: "2 Dec", not Django's "2 December".
MONTH_DAY_FORMAT = "j M"
