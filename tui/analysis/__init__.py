"""The analysis screen: code frequencies as a bar chart, co-occurrence as a
heat map, the code × document (or × coder) matrix; filters by coder and
document; Enter on a figure lists the passages behind it.

``tables`` builds what the screen shows from the store's figures
(margin.store.analysis), in a worker thread and without Textual: the same
figures as ``margin stats``. ``screen`` draws them.
"""
