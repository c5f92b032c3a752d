"""The tutorial's first half: the toy datasets, the line fits, the sigmoid unit and the tiny net."""
