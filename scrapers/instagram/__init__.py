"""Instagram listening through instaloader: comments on the agency's posts and posts under tracked hashtags."""
