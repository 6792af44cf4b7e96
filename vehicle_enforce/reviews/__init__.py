"""A person reviews every doubtful plate match that can change a listing, a case or a release."""
