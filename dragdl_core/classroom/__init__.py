"""One instance serves a class: accounts, the access rules, the class configuration, assignments, the
leaderboard, quotas and the scheduling policy. Pure."""
