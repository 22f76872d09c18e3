package app_test

import (
	"context"
	"fmt"
	"log"

	"github.com/posts-api/posts/gen/client"
)

// The README's Go SDK example, kept compiling here.
func Example_goSDK() {
	ctx := context.Background()
	c, err := client.NewClientWithResponses("http://localhost:3000")
	if err != nil {
		log.Fatal(err)
	}
	created, err := c.CreatePostWithResponse(ctx, nil, client.NewPost{Title: "Hello", AuthorEmail: "ada@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(created.StatusCode(), created.JSON201.Id) // 201 0193…
	limit := 10
	page, err := c.ListPostsWithResponse(ctx, &client.ListPostsParams{Limit: &limit})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.JSON200.Items), page.HTTPResponse.Header.Get("Link"))
}
