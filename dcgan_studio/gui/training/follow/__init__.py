"""Following a run that another process writes: the jobs that read it, the banner, and what
the window does with what lands (``RunFollowing``)."""
