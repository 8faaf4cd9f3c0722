package store

// RebindFor exposes rebind to the tests, so both dialects' placeholders are
// tested whichever engine the suite runs on.
var RebindFor = rebind
