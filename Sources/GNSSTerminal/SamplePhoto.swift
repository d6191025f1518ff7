import Foundation

/// The photo gps808 takes when the platform asks (0x8801): gps808 has no camera, so it sends a
/// real JPEG it carries, a 32x24 grey gradient (baseline, one component, DC coefficients only)
/// with a comment that makes it 2,596 bytes, three JT/T 808 sub-packages of 0x0801.
public enum SamplePhoto {
    public static let jpeg: [UInt8] = [UInt8](
        Data(
            base64Encoded: [
                "/9j/4AAQSkZJRgABAQAAAQABAAD//gliRmxlZXQ6IGEgcGhvdG8gZnJvbSBhIHNpbXVsYXRlZCB0ZXJtaW5hbCAoZ3BzODA4KSwgYSAzMngyNCBncmV5IGdyYWRpZW50OyB0aGlzIGNv",
                "bW1lbnQgbWFrZXMgaXQgbG9uZyBlbm91Z2ggdG8gZ28gdXAgaW4gc2V2ZXJhbCBKVC9UIDgwOCBzdWItcGFja2FnZXMuIEZsZWV0OiBhIHBob3RvIGZyb20gYSBzaW11bGF0ZWQgdGVy",
                "bWluYWwgKGdwczgwOCksIGEgMzJ4MjQgZ3JleSBncmFkaWVudDsgdGhpcyBjb21tZW50IG1ha2VzIGl0IGxvbmcgZW5vdWdoIHRvIGdvIHVwIGluIHNldmVyYWwgSlQvVCA4MDggc3Vi",
                "LXBhY2thZ2VzLiBGbGVldDogYSBwaG90byBmcm9tIGEgc2ltdWxhdGVkIHRlcm1pbmFsIChncHM4MDgpLCBhIDMyeDI0IGdyZXkgZ3JhZGllbnQ7IHRoaXMgY29tbWVudCBtYWtlcyBp",
                "dCBsb25nIGVub3VnaCB0byBnbyB1cCBpbiBzZXZlcmFsIEpUL1QgODA4IHN1Yi1wYWNrYWdlcy4gRmxlZXQ6IGEgcGhvdG8gZnJvbSBhIHNpbXVsYXRlZCB0ZXJtaW5hbCAoZ3BzODA4",
                "KSwgYSAzMngyNCBncmV5IGdyYWRpZW50OyB0aGlzIGNvbW1lbnQgbWFrZXMgaXQgbG9uZyBlbm91Z2ggdG8gZ28gdXAgaW4gc2V2ZXJhbCBKVC9UIDgwOCBzdWItcGFja2FnZXMuIEZs",
                "ZWV0OiBhIHBob3RvIGZyb20gYSBzaW11bGF0ZWQgdGVybWluYWwgKGdwczgwOCksIGEgMzJ4MjQgZ3JleSBncmFkaWVudDsgdGhpcyBjb21tZW50IG1ha2VzIGl0IGxvbmcgZW5vdWdo",
                "IHRvIGdvIHVwIGluIHNldmVyYWwgSlQvVCA4MDggc3ViLXBhY2thZ2VzLiBGbGVldDogYSBwaG90byBmcm9tIGEgc2ltdWxhdGVkIHRlcm1pbmFsIChncHM4MDgpLCBhIDMyeDI0IGdy",
                "ZXkgZ3JhZGllbnQ7IHRoaXMgY29tbWVudCBtYWtlcyBpdCBsb25nIGVub3VnaCB0byBnbyB1cCBpbiBzZXZlcmFsIEpUL1QgODA4IHN1Yi1wYWNrYWdlcy4gRmxlZXQ6IGEgcGhvdG8g",
                "ZnJvbSBhIHNpbXVsYXRlZCB0ZXJtaW5hbCAoZ3BzODA4KSwgYSAzMngyNCBncmV5IGdyYWRpZW50OyB0aGlzIGNvbW1lbnQgbWFrZXMgaXQgbG9uZyBlbm91Z2ggdG8gZ28gdXAgaW4g",
                "c2V2ZXJhbCBKVC9UIDgwOCBzdWItcGFja2FnZXMuIEZsZWV0OiBhIHBob3RvIGZyb20gYSBzaW11bGF0ZWQgdGVybWluYWwgKGdwczgwOCksIGEgMzJ4MjQgZ3JleSBncmFkaWVudDsg",
                "dGhpcyBjb21tZW50IG1ha2VzIGl0IGxvbmcgZW5vdWdoIHRvIGdvIHVwIGluIHNldmVyYWwgSlQvVCA4MDggc3ViLXBhY2thZ2VzLiBGbGVldDogYSBwaG90byBmcm9tIGEgc2ltdWxh",
                "dGVkIHRlcm1pbmFsIChncHM4MDgpLCBhIDMyeDI0IGdyZXkgZ3JhZGllbnQ7IHRoaXMgY29tbWVudCBtYWtlcyBpdCBsb25nIGVub3VnaCB0byBnbyB1cCBpbiBzZXZlcmFsIEpUL1Qg",
                "ODA4IHN1Yi1wYWNrYWdlcy4gRmxlZXQ6IGEgcGhvdG8gZnJvbSBhIHNpbXVsYXRlZCB0ZXJtaW5hbCAoZ3BzODA4KSwgYSAzMngyNCBncmV5IGdyYWRpZW50OyB0aGlzIGNvbW1lbnQg",
                "bWFrZXMgaXQgbG9uZyBlbm91Z2ggdG8gZ28gdXAgaW4gc2V2ZXJhbCBKVC9UIDgwOCBzdWItcGFja2FnZXMuIEZsZWV0OiBhIHBob3RvIGZyb20gYSBzaW11bGF0ZWQgdGVybWluYWwg",
                "KGdwczgwOCksIGEgMzJ4MjQgZ3JleSBncmFkaWVudDsgdGhpcyBjb21tZW50IG1ha2VzIGl0IGxvbmcgZW5vdWdoIHRvIGdvIHVwIGluIHNldmVyYWwgSlQvVCA4MDggc3ViLXBhY2th",
                "Z2VzLiBGbGVldDogYSBwaG90byBmcm9tIGEgc2ltdWxhdGVkIHRlcm1pbmFsIChncHM4MDgpLCBhIDMyeDI0IGdyZXkgZ3JhZGllbnQ7IHRoaXMgY29tbWVudCBtYWtlcyBpdCBsb25n",
                "IGVub3VnaCB0byBnbyB1cCBpbiBzZXZlcmFsIEpUL1QgODA4IHN1Yi1wYWNrYWdlcy4gRmxlZXQ6IGEgcGhvdG8gZnJvbSBhIHNpbXVsYXRlZCB0ZXJtaW5hbCAoZ3BzODA4KSwgYSAz",
                "MngyNCBncmV5IGdyYWRpZW50OyB0aGlzIGNvbW1lbnQgbWFrZXMgaXQgbG9uZyBlbm91Z2ggdG8gZ28gdXAgaW4gc2V2ZXJhbCBKVC9UIDgwOCBzdWItcGFja2FnZXMuIEZsZWV0OiBh",
                "IHBob3RvIGZyb20gYSBzaW11bGF0ZWQgdGVybWluYWwgKGdwczgwOCksIGEgMzJ4MjQgZ3JleSBncmFkaWVudDsgdGhpcyBjb21tZW50IG1ha2VzIGl0IGxvbmcgZW5vdWdoIHRvIGdv",
                "IHVwIGluIHNldmVyYWwgSlQvVCA4MDggc3ViLXBhY2thZ2VzLiBGbGVldDogYSBwaG90byBmcm9tIGEgc2ltdWxhdGVkIHRlcm1pbmFsIChncHM4MDgpLCBhIDMyeDI0IGdyZXkgZ3Jh",
                "ZGllbnQ7IHRoaXMgY29tbWVudCBtYWtlcyBpdCBsb25nIGVub3VnaCB0byBnbyB1cCBpbiBzZXZlcmFsIEpUL1QgODA4IHN1Yi1wYWNrYWdlcy4gRmxlZXQ6IGEgcGhvdG8gZnJvbSBh",
                "IHNpbXVsYXRlZCB0ZXJtaW5hbCAoZ3BzODA4KSwgYSAzMngyNCBncmV5IGdyYWRpZW50OyB0aGlzIGNvbW1lbnQgbWFrZXMgaXQgbG9uZyBlbm91Z2ggdG8gZ28gdXAgaW4gc2V2ZXJh",
                "bCBKVC9UIDgw/9sAQwABAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB/8AACwgAGAAgAQERAP/EAB8AAAEFAQEBAQEB",
                "AAAAAAAAAAABAgMEBQYHCAkKC//EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8A/k/fSD6QfSD6QfSD6QfSD6QfSD6QfSD/2Q==",
            ].joined())!)
}
