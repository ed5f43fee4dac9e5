"""Page sections: each page module in `pages/` arranges the sections its package or module here holds."""
